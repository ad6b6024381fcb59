-- psql \du: roles.
\du
