"""Other services' protocols over the same translation: DeepL API v2 (`/v2/`), LibreTranslate
(`/libretranslate/`) and Google Cloud Translation v2 (`/language/translate/v2`).

Each is a thin adapter: it reads its protocol's parameters, builds a TranslationRequest, and turns the
Translation or TranslationError into its protocol's answer. Authentication, rate limits, character
budgets, the cache, metrics and request ids are the service's own, exactly as for /translate; only the
shape of the credential, of the body and of an error differ.
"""
