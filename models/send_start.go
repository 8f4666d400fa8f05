package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// StartSend commits a send — the send, its batches (each with its own clientmsgid) and its quota
// reservation — in one transaction, wakes the worker, and returns at once. The same Key again
// returns the send already made for it, whatever else the input says: a double click, a reload or a
// retried POST never sends twice. The key is bound to what is sent: the same form key with another
// draft or audience (an operator who went back and chose another group) is a new send, not the old one.
func (s *Service) StartSend(ctx context.Context, in SendInput, operatorID uint) (_ Send, err error) {
	defer wrap(&err, "start send of draft %d", in.DraftID)
	key := normaliseKey(idempotencyKey(in))
	if id, ok, err := s.pipe.SendIDByKey(ctx, key); err != nil {
		return Send{}, err
	} else if ok {
		return s.Send(ctx, id)
	}

	// Planning may call WeChat (groups), so it runs before the transaction, not inside it.
	p, err := s.plan(ctx, in)
	if err != nil {
		return Send{}, err
	}
	if len(p.OpenIDProblems) > 0 {
		// The operator fixes the list first: we do not guess which lines they meant.
		return Send{}, fieldError("openids", "err.openids_invalid")
	}
	arts, err := json.Marshal(p.arts)
	if err != nil {
		return Send{}, err
	}

	var sendID uint
	existing := false
	err = s.pipe.Tx(ctx, func(ctx context.Context) error {
		// Checked again inside the (immediate, so exclusive) transaction: two concurrent submits
		// with one key serialise here and the second finds the first.
		id, ok, err := s.pipe.SendIDByKey(ctx, key)
		if err != nil {
			return err
		}
		if ok {
			sendID, existing = id, true
			return nil
		}
		left, err := s.quotaLeftFor(ctx, p.countedEndpoints()...)
		if err != nil {
			return err
		}
		if p.CallsNeeded > left {
			return ErrQuotaExceeded
		}
		if p.CatchUpOf != 0 {
			// Checked again under the write lock: one catch-up of a send at a time, or two
			// would address the same followers before either is recorded.
			if err := s.noCatchUpUnderway(ctx, p.CatchUpOf); err != nil {
				return err
			}
		}
		row := sendRow{
			IdemKey: key, DraftID: p.draftID, Title: p.title, Target: p.target, GroupID: in.GroupID,
			GroupName: p.GroupName, Recipients: p.Recipients, ArticlesJSON: string(arts),
			State: StateQueued, OperatorID: operatorID, CreatedAt: s.now(),
			Audience: p.profile.Audience, UploadPath: p.profile.UploadPath, CatchUpOf: p.CatchUpOf,
			SearchText: searchText(p.title, p.arts),
		}
		if p.target == TargetOpenIDs {
			row.AudienceID = in.AudienceID
		}
		if p.target != TargetGroup {
			row.GroupID = 0
		}
		if p.NeedsApproval { // committed, not called: another admin approves it first (approval.go)
			row.State = StateAwaitingApproval
		}
		var reserve []PlannedCall
		for _, c := range p.Calls {
			if !c.Uncounted { // a permanent material: no quota to reserve
				reserve = append(reserve, c)
			}
		}
		sendID, err = s.pipe.EnqueueSend(ctx, row, batchesOf(p.target, p.openIDs), reserve, describeTarget(p))
		if err == nil && p.NeedsApproval {
			err = s.addHistory(ctx, sendID, operatorID, HistoryAwaitingApproval, "")
		}
		return err
	})
	if err != nil {
		return Send{}, err
	}
	if !existing && p.NeedsApproval {
		s.log.Info("send awaiting approval", "send_id", sendID, "target", p.target, "recipients", p.Recipients)
	} else if !existing {
		s.log.Info("send queued", "send_id", sendID, "target", p.target, "batches", p.Batches, "calls", p.CallsNeeded)
		s.notify()
	}
	return s.Send(ctx, sendID)
}

// idempotencyKey joins the form's key with a digest of the draft and audience.
func idempotencyKey(in SendInput) string {
	if strings.TrimSpace(in.Key) == "" {
		return ""
	}
	ids, _ := ParseOpenIDs(in.OpenIDs)
	h := sha256.New()
	fmt.Fprintf(h, "%d\n%s\n", in.DraftID, in.Target)
	if in.CatchUpOf != 0 || in.IncludeCapped {
		// Only then, so the keys of sends made before these choices existed stay the same.
		fmt.Fprintf(h, "catch-up %d capped %t\n", in.CatchUpOf, in.IncludeCapped)
	}
	switch in.Target {
	case TargetGroup:
		fmt.Fprintf(h, "%d", in.GroupID)
	case TargetOpenIDs:
		h.Write([]byte(strings.Join(ids, ",")))
	}
	return strings.TrimSpace(in.Key) + ":" + hex.EncodeToString(h.Sum(nil))[:16]
}

// normaliseKey bounds the key's size; an empty key gets a random one (no de-duplication possible).
func normaliseKey(k string) string {
	k = strings.TrimSpace(k)
	if k == "" {
		return "auto-" + randomHex(16)
	}
	if len(k) > 128 {
		sum := sha256.Sum256([]byte(k))
		return "sha256-" + hex.EncodeToString(sum[:])
	}
	return k
}

// batchesOf splits an OpenID list into calls of at most 10 000; all/group targets are one call.
func batchesOf(t TargetKind, ids []string) [][]string {
	if t != TargetOpenIDs {
		return [][]string{nil}
	}
	// Equal-sized batches: a plain 10 000-cut of 10 001 ids would leave a batch
	// of one, which mass/send refuses (40130: at least two openids).
	n := (len(ids) + maxOpenIDsPerCall - 1) / maxOpenIDsPerCall
	out := make([][]string, 0, n)
	for i := range n {
		out = append(out, ids[i*len(ids)/n:(i+1)*len(ids)/n])
	}
	return out
}

// clientMsgID is unique per batch and at most 64 bytes (WeChat's limit; 45067 beyond it).
func clientMsgID(sendID uint, index int) (string, error) {
	id := fmt.Sprintf("qunfa-%d-%d-%s", sendID, index, randomHex(4))
	if len(id) > 64 {
		return "", errors.New("models: clientmsgid longer than 64 bytes")
	}
	return id, nil
}

func randomHex(nBytes int) string {
	b := make([]byte, nBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// describeTarget is the created entry's detail: language-neutral data (the
// page words it from the send's own target in the reader's language).
func describeTarget(p planned) string {
	switch p.target {
	case TargetAll:
		return string(TargetAll)
	case TargetGroup:
		return fmt.Sprintf("%s %s", TargetGroup, p.GroupName)
	default:
		return fmt.Sprintf("%s %d/%d", TargetOpenIDs, len(p.openIDs), p.Batches)
	}
}
