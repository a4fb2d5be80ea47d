class PolicyError(ValueError):
    """A preset that cannot be used: the message names the file and the key."""


class PolicyNotInForce(PolicyError):
    """A value was asked for a date before any value of it takes effect."""


class PolicyValueMissing(PolicyError):
    """The plan leaves a value to the bureau ("根据实际自行设定") and the bureau has not set it."""


class PolicyInputMissing(PolicyError):
    """The registers lack what the plan's arithmetic needs: a class counted per enforcement
    officer (获嘉 “人均6家次”, 保定 1:5) when the 执法检查人员名录库 has no officer on duty. A quota
    of 0 would quietly excuse the bureau from the plan, so this is an error naming the register."""
