-- psql \dt: tables (lambdasql sources).
\dt
