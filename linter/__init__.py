"""kubegate: a pre-merge gate for Kubernetes manifests in GitOps repositories."""

__version__ = "0.1.0"
