"""archiver: preserve news articles and the tweets they cite."""

__version__ = "0.1.0"
