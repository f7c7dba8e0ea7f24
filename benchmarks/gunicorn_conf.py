"""gunicorn settings for both servers of a run (the app and the bare Flask app); the
command line adds the address and the number of workers.

Given explicitly, so a gunicorn.conf.py in the working folder (which gunicorn would
read by itself) never changes what is measured.
"""

worker_class = "sync"
loglevel = "warning"
errorlog = "-"
accesslog = None
# gunicorn 25+ opens a control socket at one path in the home folder, which two servers
# at once would share; nothing here uses it. Older versions ignore the name.
control_socket_disable = True
