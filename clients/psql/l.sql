-- psql \l: databases.
\l
