"""Evidence of what a case's articles said (issue 15): offline renders of stored pages
(render, capture at flag time), the WARC of their snapshots, and the bundle of both."""
