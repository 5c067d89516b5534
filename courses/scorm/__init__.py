"""SCORM 1.2 packages as lessons (ADL SCORM 1.2 CAM and RTE).

- ``package``: reads an uploaded zip safely (names, zip slip, zip bombs, the manifest's place).
- ``manifest``: parses ``imsmanifest.xml`` into organisations, items and resources.
- ``problems``: why a package is refused or what to know about it, in Japanese and English.
- ``cmi``: the SCORM 1.2 data model on the server: what a SCO is given, what a commit may store.
- ``tokens`` / ``content``: the separate content origin the player frames, and its signed paths.
- ``storage``: the package's files in Django's storage, under the lesson's id.
- ``services`` / ``selectors``: imports and commits (writes), players and reports (reads).
"""
