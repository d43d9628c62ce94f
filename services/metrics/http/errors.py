"""What the statistics routes answer for the errors their use cases raise."""

from services.metrics.app.stats import CommunityNotFound

# a community the key does not cover is answered as one that does not exist
ERRORS = {CommunityNotFound: (404, "not_found")}
RAISES = (CommunityNotFound,)
