/* appbind.h — an app server's listening address from its command line. */
#ifndef GW_APPBIND_H
#define GW_APPBIND_H

#include "model.h"

/* The listening address in an app server's command line: gunicorn /
 * hypercorn -b/--bind (first one), uvicorn --host/--port/--uds, daphne
 * -b/-p/-u, uwsgi --http/--http-socket/--socket, waitress --listen, Django
 * runserver ADDR:PORT, flask run --host/--port. Defaults filled in
 * (gunicorn 127.0.0.1:8000, uvicorn 127.0.0.1:8000...). Returns 1 when
 * found (explicitly or by the server's default), 0 otherwise. Pure. */
int appbind_parse(const char *cmdline, struct gw_addr *a);

#endif
