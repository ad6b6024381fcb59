-- psql \df: user functions (none).
\df
