"""The action server: ``python -m actions [--port N]``.

Before serving it loads the search index, so the first citizen does not wait for it (the
database is brought up to date before the services start: ``tthc db upgrade``). It listens on 127.0.0.1 unless
``ACTION_HOST`` says otherwise, and answers Rasa alone (see :mod:`actions.server`).
"""

from __future__ import annotations

import argparse
import gc
import logging
from typing import Any

from rasa_sdk.executor import ActionExecutor

from actions.compose import phrases
from actions.cues import default_cues
from actions.dossier_dialogue import load_dossier_cues
from actions.dossier_poll import DossierPoller
from actions.dossier_turn import DossierDesk
from actions.knowledge import Knowledge
from actions.onestop import HttpOneStop
from actions.places import office_directory
from actions.server import create_server
from actions.turn import ActionRespond
from dossiers.wording import phrases as dossier_phrases
from retrieval.encoder import offline_mode
from tthc_data.migrate import SchemaOutOfDate, require_current
from tthc_settings import read_settings

logger = logging.getLogger("actions")


def main() -> None:
    settings = read_settings()  # built once, handed to what the server runs
    parser = argparse.ArgumentParser(prog="python -m actions", description="Serve the bot's custom actions.")
    parser.add_argument("--port", type=int, default=settings.action_port)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("bm25s", "faiss.loader"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    offline_mode()
    try:
        require_current(settings.database_url)  # made by `tthc db upgrade` before the services start
    except SchemaOutOfDate as error:
        raise SystemExit(str(error)) from error
    holder = Knowledge(settings)
    state = holder.current()
    _ = state.vocabulary  # computed now, not on the first citizen's message
    try:  # the content files, read and checked now: a mistake stops the start, not a reply
        default_cues()
        phrases()
        office_directory()
        load_dossier_cues()
        dossier_phrases()
    except ValueError as error:
        raise SystemExit(f"a content file breaks its schema: {error}") from error
    logger.info("index ready: %d guides and entries", len(state.guides))
    # The index, the encoder and torch are long-lived: leave them out of every garbage
    # collection from now on (each full collection would walk them all, per request).
    gc.collect()
    gc.freeze()
    onestop = HttpOneStop(settings.dossier_api_url, settings.dossier_api_key) if settings.dossier_api_url else None
    executor = ActionExecutor()
    executor.register_action(ActionRespond(holder, settings, DossierDesk(settings, onestop)))
    app = create_server(executor, settings.action_token())
    if onestop is not None and settings.dossier_poll_interval > 0:
        poller = DossierPoller(settings, onestop)

        async def start_polling(running: Any, _loop: Any) -> None:  # a task needs the running loop
            running.add_task(poller.run(), name="dossier-poller")

        app.register_listener(start_polling, "after_server_start")
    logger.info("dossier lookup: %s", "on" if onestop else "off (DOSSIER_API_URL is not set)")
    # One process: the index loaded above is the one that serves (Sanic's worker processes
    # would each load their own copy, after the first request).
    app.run(host=settings.action_host, port=args.port, single_process=True, access_log=False, motd=False)


if __name__ == "__main__":
    main()
