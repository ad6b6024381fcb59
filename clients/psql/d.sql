-- psql \d: every relation of the search path (the demo source and views).
\d
