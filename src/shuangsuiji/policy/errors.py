class PolicyError(ValueError):
    """A preset that cannot be used: the message names the file and the key."""


class PolicyNotInForce(PolicyError):
    """A value was asked for a date before any value of it takes effect."""


class PolicyValueMissing(PolicyError):
    """The plan leaves a value to the bureau ("根据实际自行设定") and the bureau has not set it."""
