package scenarios

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Without the poller, the orders whose only webhooks were dropped never reach the ERP and
// missed_webhooks_recovered names them; with it, every one does.
func TestMissedWebhooksNeedThePoller(t *testing.T) {
	for _, poll := range []time.Duration{0, 30 * time.Second} {
		t.Run("poller="+poll.String(), func(t *testing.T) {
			sc, err := Builtin("missed-webhooks")
			require.NoError(t, err)
			sc.Traffic.Phases[0].Constant.Duration = Duration(2 * time.Minute)
			sc.Delivery.DropShare = 0.3 // an order is lost only when all its webhooks are: 2 or 3 per order
			sc.SUT.Builtin.MissedWebhookPoller = Duration(poll)
			sc.Drain.Quiet = Duration(time.Minute)
			rep, err := Run(context.Background(), sc, Options{})
			require.NoError(t, err)
			skipInconclusive(t, rep)
			a, ok := assertion(rep, "missed_webhooks_recovered")
			require.True(t, ok)
			if poll > 0 {
				assert.True(t, a.Passed, a.Detail)
				return
			}
			assert.False(t, a.Passed)
			n := 0
			for _, v := range rep.Violations {
				if v.Kind == WebhookNotRecovered {
					_, err := strconv.ParseInt(v.Subject, 10, 64)
					assert.NoError(t, err, "names the order")
					assert.Contains(t, v.Detail, "dropped")
					n++
				}
			}
			assert.Positive(t, n)
		})
	}
}
