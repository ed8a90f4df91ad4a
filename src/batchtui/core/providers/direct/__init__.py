"""The `direct` kind: a batch run client-side against an OpenAI-compatible server with no
batch API (vLLM, SGLang, Ollama, llama.cpp, TGI), by a detached, resumable runner process.

Modules: `urls` (a line's url against the base URL), `settings` (the profile's knobs),
`folder` (the job folder's files), `limits` (RPM/TPM pacing), `runner` (the worker
process), `launch` (starting, probing and stopping it), `provider` (the BatchProvider).
"""
