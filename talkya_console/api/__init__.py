"""The async Talkya client."""
