package handlers

import "github.com/gin-gonic/gin"

// settingsForm shows the account and API-profile settings (to be written).
func (a *app) settingsForm(c *gin.Context) { a.notFound(c) }

// settingsSave stores the settings (to be written).
func (a *app) settingsSave(c *gin.Context) { a.notFound(c) }
