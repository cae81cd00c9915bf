"""studbook serve: the web application (pages, forms, JSON API) over the services."""
