"""The console's pages and APIs, one router per area of work (see :mod:`console.app`)."""
