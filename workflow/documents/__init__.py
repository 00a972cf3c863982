"""Official documents generated from the case (issue 12): document types as data (definitions.py, reading
definitions/documents/), what a document says and which contents the law requires (contents.py), the number
register (numbers.py), the PDF in its layout (render.py, layouts/), issuing inside the step's unit of work
(issue.py) and public verification (verification.py).

Shared, like the engine: no family's step or role names here; a family's document definitions name its steps.
"""
