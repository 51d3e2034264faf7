"""The website's pages, one module per area."""
