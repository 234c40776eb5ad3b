"""Python components of source-marketo: only what the declarative manifest cannot say."""
