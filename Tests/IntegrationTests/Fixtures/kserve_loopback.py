"""Keeps KServe's REST server on loopback: imported before kserve, it makes every uvicorn server
bind 127.0.0.1 (KServe binds 0.0.0.0), so tests never open a port beyond this machine."""
import uvicorn

_config_init = uvicorn.Config.__init__


def _loopback_config(self, *args, **kwargs):
    kwargs["host"] = "127.0.0.1"
    _config_init(self, *args, **kwargs)


uvicorn.Config.__init__ = _loopback_config
