-- psql \dn: schemas.
\dn
