class CampaignError(ValueError):
    """A campaign setting that cannot be accepted; `field` names the offending input."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message
