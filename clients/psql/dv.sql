-- psql \dv: views (the demo lambda views).
\dv
