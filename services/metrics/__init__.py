"""metrics: aggregates per community, grid, category and day; the stats API; business gauges."""
