"""Google's own batch APIs, served beside every flavour on the simulator's port.

- `gemini_api` / `gemini_engine`: the Gemini Developer API's Files and batch mode (/v1beta).
- `vertex_api` / `vertex_jobs`: Vertex AI batchPredictionJobs (/v1/projects/...).
- `gcs`: the Cloud Storage JSON API subset those jobs need (/storage/v1, /upload/storage/v1).
- `tokens` / `credentials`: the OAuth2 token endpoint (/token) and service-account keys.
- `apis`: routing, credentials and Google's error shapes for all of them.
"""
