"""The local Talkya: ASGI app, storage, seed data, webhook dispatcher, traffic simulator."""
