"""Kafka request-reply bridge: answers synchronous HTTP requests with replies from an asynchronous worker."""
