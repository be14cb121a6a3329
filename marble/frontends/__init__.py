"""The ways users drive Marble, above the core library: the ``marble`` CLI (:mod:`~marble.frontends.cli`),
the batch runner (:mod:`~marble.frontends.batch`, a local process pool or Ray), the editor (session, 3D
viewport, autosave) the Gradio app wires its widgets to (:mod:`~marble.frontends.editor`), and the output writer every
entry point shares (:mod:`~marble.frontends.outputs`). These may import ``pipelines`` and ``exporters``.
"""
