package handlers

import "github.com/gin-gonic/gin"

// imageUpload takes an image the operator puts into article content (to be written).
func (a *app) imageUpload(c *gin.Context) { a.notFound(c) }

// imageShow serves a stored article image (to be written).
func (a *app) imageShow(c *gin.Context) { a.notFound(c) }
