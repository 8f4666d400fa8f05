package models

import "context"

// What the web layer needs of operators, sessions and stored settings, so that handlers go
// through the Service and never reach the Store.

// SetupOpen reports whether the first-run page is still available: only while no operator exists.
func (s *Service) SetupOpen(ctx context.Context) (bool, error) {
	n, err := s.store.OperatorCount(ctx)
	return n == 0, err
}

// CreateFirstOperator creates the first operator; ErrSetupDone once one exists.
func (s *Service) CreateFirstOperator(ctx context.Context, username, password string) (Operator, error) {
	return s.store.CreateFirstOperator(ctx, username, password)
}

// Authenticate checks a login; a wrong username and a wrong password are the same
// ErrBadCredentials.
func (s *Service) Authenticate(ctx context.Context, username, password string) (Operator, error) {
	return s.store.Authenticate(ctx, username, password)
}

// Operator returns the operator with id (ErrNotFound when there is none).
func (s *Service) Operator(ctx context.Context, id uint) (Operator, error) {
	return s.store.Operator(ctx, id)
}

// Settings returns the stored settings (see Store.Settings); the environment is not laid over them.
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	return s.store.Settings(ctx)
}

// Sessions is where the web layer's session manager keeps its sessions.
func (s *Service) Sessions() *SessionStore { return s.store.Sessions() }

// AudienceByTag reports whether a send now targets today's tags rather than the 2014 groups, as
// the API profile in force says, so every page names the audience with the same word.
func (s *Service) AudienceByTag(ctx context.Context) (bool, error) {
	p, err := s.profile(ctx)
	return p.Audience == AudienceTags, err
}

// RevokeSessions ends every session of the operator (ErrNotFound when there is no such
// operator) and returns how many were ended.
func (s *Service) RevokeSessions(ctx context.Context, operatorID uint) (int, error) {
	if _, err := s.store.Operator(ctx, operatorID); err != nil {
		return 0, err
	}
	n, err := s.store.RevokeSessions(ctx, operatorID)
	if err == nil {
		s.log.Info("sessions revoked", "operator_id", operatorID, "count", n)
	}
	return n, err
}
