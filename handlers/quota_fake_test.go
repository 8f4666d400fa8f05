package handlers

import (
	"context"

	"qunfa/models"
)

// Quota completes the handler tests' fake WeChat: like an account that does not answer
// openapi/quota/get, so the local meter stands alone.
func (f *fakeWeChat) Quota(ctx context.Context, endpoint string) (models.QuotaInfo, error) {
	return models.QuotaInfo{}, models.ErrQuotaUnanswered
}
