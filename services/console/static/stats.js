/* The statistics page's charts (统计): each drawn by Apache ECharts from the page's JSON
   island (#stats-charts), which holds the metrics API's numbers as the page's tables show
   them. No inline script and no eval: the Content-Security-Policy allows scripts only from
   the console. A chart marks itself data-rendered once ECharts has finished drawing it. */
(function () {
  "use strict";
  var island = document.getElementById("stats-charts");
  if (!island || !window.echarts) {
    return;
  }
  var charts = [];

  function optionOf(spec) {
    return {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 8, right: 8, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: spec.categories },
      yAxis: { type: "value" },
      series: spec.series.map(function (series) {
        return { type: spec.kind, name: series.name, data: series.data };
      })
    };
  }

  JSON.parse(island.textContent).forEach(function (spec) {
    var element = document.getElementById(spec.id);
    if (!element) {
      return;
    }
    var chart = window.echarts.init(element);
    chart.on("finished", function () {
      element.setAttribute("data-rendered", "true");
    });
    chart.setOption(optionOf(spec));
    charts.push(chart);
  });

  window.addEventListener("resize", function () {
    charts.forEach(function (chart) {
      chart.resize();
    });
  });
})();
