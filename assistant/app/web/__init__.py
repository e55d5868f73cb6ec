"""The web app: one FastAPI server (``server``) with the citizens' Gradio chat at ``/``
(``citizens``: components and events; ``handlers``: what each event does; ``chat``: a tab's turns
and streaming; ``feedback``: the rating form) and the staff view behind a login at ``/staff``
(``staff``). The HTML comes from pure functions over records (``render``, ``staff_render``); the
fixed page parts and the theme from ``page``; the private files from ``files``.

Gradio, FastAPI and uvicorn are imported inside functions: importing this package or its pure
modules starts no web stack.
"""
