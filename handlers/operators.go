package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
)

// The operators pages (admins only, routes.go): list, add, and one operator's page with the
// forms that change the role, disable or re-enable, and reset the password. Every change is one
// Service call given the acting admin.

func operatorRow(op, self models.Operator) views.OperatorRow {
	return views.OperatorRow{
		ID: op.ID, Username: op.Username, Role: string(op.Role), Disabled: op.DisabledAt != nil,
		CreatedAt: op.CreatedAt, LastLoginAt: op.LastLoginAt, Self: op.ID == self.ID,
	}
}

func roleNames() []string {
	out := make([]string, len(models.Roles))
	for i, r := range models.Roles {
		out[i] = string(r)
	}
	return out
}

// operatorsList shows every operator (GET /operators).
func (a *app) operatorsList(c *gin.Context) error {
	ops, err := a.svc.ListOperators(c.Request.Context())
	if err != nil {
		return err
	}
	p := views.OperatorsPage{Layout: a.operatorsLayout(c, "operators.title")}
	for _, op := range ops {
		p.Operators = append(p.Operators, operatorRow(op, operatorOf(c)))
	}
	a.render(c, http.StatusOK, views.Operators(p))
	return nil
}

func (a *app) operatorsLayout(c *gin.Context, title string, args ...any) views.Layout {
	l := a.layout(c, title, args...)
	l.Nav = "operators"
	return l
}

// operatorNew is the form that adds an operator (GET /operators/new); editors are the usual case.
func (a *app) operatorNew(c *gin.Context) error {
	a.render(c, http.StatusOK, views.OperatorNew(views.OperatorNewPage{
		Layout: a.operatorsLayout(c, "operators.new_title"), Role: string(models.RoleEditor), Roles: roleNames(),
	}))
	return nil
}

// operatorCreate adds an operator (POST /operators).
func (a *app) operatorCreate(c *gin.Context) error {
	in := models.NewOperator{
		Username: c.PostForm("username"),
		Password: c.PostForm("password"),
		Role:     models.Role(c.PostForm("role")),
	}
	op, err := a.svc.CreateOperator(c.Request.Context(), operatorOf(c), in)
	if fe, ok := validationErrors(err); ok {
		a.render(c, http.StatusUnprocessableEntity, views.OperatorNew(views.OperatorNewPage{
			Layout: a.operatorsLayout(c, "operators.new_title"), Username: in.Username, Role: string(in.Role),
			Roles: roleNames(), Errors: fe,
		}))
		return nil
	}
	if err != nil {
		return err
	}
	a.log.Info("operator added", "by", operatorOf(c).ID, "operator_id", op.ID, "role", op.Role)
	a.audit(c, models.AuditOperatorCreate, auditTarget("operator", op.ID), op.Username+" ("+string(op.Role)+")")
	a.flash(c, "operators.created", op.Username)
	a.redirect(c, "/operators")
	return nil
}

// loadOperator loads the operator named by :id.
func (a *app) loadOperator(c *gin.Context) (models.Operator, error) {
	id, err := a.idParam(c)
	if err != nil {
		return models.Operator{}, err
	}
	return a.svc.Operator(c.Request.Context(), id)
}

// operatorShow is one operator's page (GET /operators/:id).
func (a *app) operatorShow(c *gin.Context) error {
	op, err := a.loadOperator(c)
	if err != nil {
		return err
	}
	a.renderOperator(c, http.StatusOK, views.OperatorPage{Operator: operatorRow(op, operatorOf(c))})
	return nil
}

func (a *app) renderOperator(c *gin.Context, status int, p views.OperatorPage) {
	p.Layout = a.operatorsLayout(c, "operators.title")
	p.Roles = roleNames()
	a.render(c, status, views.OperatorShow(p))
}

// operatorChange runs one change to the operator of :id and goes back to their page with flash;
// the last enabled admin's refusal is shown on that page (409) in the visitor's language.
func (a *app) operatorChange(c *gin.Context, flash, action, detail string, change func(op models.Operator) error) error {
	op, err := a.loadOperator(c)
	if err != nil {
		return err
	}
	err = change(op)
	if errors.Is(err, models.ErrLastAdmin) {
		a.renderOperator(c, http.StatusConflict, views.OperatorPage{Operator: operatorRow(op, operatorOf(c)), Error: "err.last_admin"})
		return nil
	}
	if err != nil {
		return err
	}
	a.log.Info("operator changed", "by", operatorOf(c).ID, "operator_id", op.ID, "change", flash)
	a.audit(c, action, auditTarget("operator", op.ID), strings.TrimSpace(op.Username+" "+detail))
	a.flash(c, flash, op.Username)
	if op.ID == operatorOf(c).ID {
		// An admin who demoted or disabled themselves (another admin remains) may no longer
		// open this page: home, or the login, says where they stand now.
		a.redirect(c, "/")
		return nil
	}
	a.redirect(c, operatorRow(op, operatorOf(c)).URL(""))
	return nil
}

// operatorSetRole changes the role (POST /operators/:id/role).
func (a *app) operatorSetRole(c *gin.Context) error {
	role := models.Role(c.PostForm("role"))
	return a.operatorChange(c, "operators.role_saved", models.AuditOperatorRole, "→ "+string(role), func(op models.Operator) error {
		return a.svc.SetOperatorRole(c.Request.Context(), operatorOf(c), op.ID, role)
	})
}

// operatorDisable disables (POST /operators/:id/disable): their sessions stop working at once.
func (a *app) operatorDisable(c *gin.Context) error {
	return a.operatorChange(c, "operators.disabled_done", models.AuditOperatorDisable, "", func(op models.Operator) error {
		return a.svc.DisableOperator(c.Request.Context(), operatorOf(c), op.ID)
	})
}

// operatorEnable enables again (POST /operators/:id/enable).
func (a *app) operatorEnable(c *gin.Context) error {
	return a.operatorChange(c, "operators.enabled_done", models.AuditOperatorEnable, "", func(op models.Operator) error {
		return a.svc.EnableOperator(c.Request.Context(), operatorOf(c), op.ID)
	})
}

// operatorReset sets the password typed, or with generate=1 a random one shown on this response
// only: never put in a flash (the session table) nor a log, and the page is not cached.
func (a *app) operatorReset(c *gin.Context) error {
	op, err := a.loadOperator(c)
	if err != nil {
		return err
	}
	generate := c.PostForm("generate") == "1"
	password := c.PostForm("password")
	if generate {
		password = ""
	} else if password == "" {
		a.renderOperator(c, http.StatusUnprocessableEntity, views.OperatorPage{
			Operator: operatorRow(op, operatorOf(c)), Errors: views.FieldErrors{"password": "err.password_too_short"},
		})
		return nil
	}
	set, err := a.svc.ResetOperatorPassword(c.Request.Context(), operatorOf(c), op.ID, password)
	if fe, ok := validationErrors(err); ok {
		a.renderOperator(c, http.StatusUnprocessableEntity, views.OperatorPage{Operator: operatorRow(op, operatorOf(c)), Errors: fe})
		return nil
	}
	if err != nil {
		return err
	}
	a.log.Info("operator password reset", "by", operatorOf(c).ID, "operator_id", op.ID, "generated", generate)
	a.audit(c, models.AuditOperatorPassword, auditTarget("operator", op.ID), op.Username)
	switch {
	case generate:
		c.Header("Cache-Control", "no-store")
		a.renderOperator(c, http.StatusOK, views.OperatorPage{Operator: operatorRow(op, operatorOf(c)), NewPassword: set})
	case op.ID == operatorOf(c).ID:
		// An admin resetting their own password ended their own session too: log in again.
		a.redirect(c, "/login")
	default:
		a.flash(c, "operators.reset_done", op.Username)
		a.redirect(c, operatorRow(op, operatorOf(c)).URL(""))
	}
	return nil
}
