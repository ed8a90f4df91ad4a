"""The Textual app. Import `batchtui.tui.app.run_tui` lazily: textual is only loaded here."""
