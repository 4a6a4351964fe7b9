"""Dossier status, for both runtimes: what a one-stop system (một cửa điện tử) tells about a
submitted dossier (:mod:`dossiers.record`, the JSON contract of the README) and how the bot
says it to the citizen (:mod:`dossiers.wording`, words in ``phrases.yml``).

The codes themselves are in :mod:`tthc_text.dossier_codes`; what is stored (subscriptions,
status history, failed proofs) in :mod:`tthc_data.dossiers`; the one-stop adapter, the
dialogue and the poller in the actions runtime; the status webhook in ``connectors``.
"""
