"""The deployment's official area list: imported from idn-area-data, read by the classifier."""
