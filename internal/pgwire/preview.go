package pgwire

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dbward/dbward/internal/analyze"
	"github.com/dbward/dbward/internal/approval"
	"github.com/dbward/dbward/internal/preview"
	"github.com/dbward/dbward/internal/upstream"
)

// redacted stands for a sample value approvers may not see.
const redacted = "[masked]"

// previewEffect dry-runs a write that needs approval on a connection of
// its own, set up as the session's, and returns what approvers see of its
// effect; or, when it could not be previewed, why (the request goes on
// without one: approvers then approve the text alone).
func (ss *session) previewEffect(ctx context.Context, v *verdict, st approval.Statement) (*approval.Effect, string) {
	if len(v.stmts) != 1 {
		return nil, "" // (only single writes are previewed: see previewable)
	}
	switch v.stmts[0].Kind {
	case analyze.KindInsert, analyze.KindUpdate, analyze.KindDelete, analyze.KindMerge:
	default:
		return nil, ""
	}
	if v.stmts[0].Command == "COPY" {
		return nil, "COPY FROM is not previewed: its rows come from the client"
	}
	cfg, err := upstream.Config(ss.ds, ss.params)
	if err != nil {
		return nil, "no preview: " + err.Error()
	}
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		ss.srv.log.Warn("preview connection failed", "datastore", ss.ds.Name, "err", err)
		return nil, "no preview: dbward could not connect to the database for it"
	}
	defer conn.Close(context.WithoutCancel(ctx))
	params, types, formats := previewParams(st)
	e, err := preview.Run(ctx, conn, st.Text, params, types, formats, preview.Options{})
	if err != nil {
		if errors.Is(err, preview.ErrNotPreviewable) {
			return nil, ""
		}
		ss.srv.log.Info("preview failed", "identity", ss.id.Name, "datastore", ss.ds.Name, "err", err)
		return nil, "no preview: " + err.Error()
	}
	out := &approval.Effect{Summary: e.Summary(), Command: e.Command, Table: e.Table, Rows: e.Rows,
		Columns: e.Columns, Before: e.Before, After: e.After, Note: e.Note}
	if err := ss.maskSample(ctx, out, e.Schema, e.Name); err != nil {
		ss.srv.log.Error("preview sample cannot be masked; left out", "datastore", ss.ds.Name, "err", err)
		out.Before, out.After = nil, nil
		out.Note = strings.TrimSpace(out.Note + " The sample is left out: dbward could not read which columns are sensitive.")
	}
	tolerance := 0.0
	if a := v.decision.Approvals; a != nil {
		tolerance = a.TolerancePercent
	}
	out.Bounds(tolerance)
	return out, ""
}

// previewParams is a statement's bound values as a preview binds them.
func previewParams(st approval.Statement) (values [][]byte, types []uint32, formats []int16) {
	for _, p := range st.Params {
		v := p.Value
		if p.Null {
			v = nil
		} else if v == nil {
			v = []byte{}
		}
		values = append(values, v)
		formats = append(formats, p.Format)
	}
	types = append(types, st.ParamTypes...)
	for len(types) < len(values) {
		types = append(types, 0) // (the server infers it, as it did for the client)
	}
	return values, types, formats
}

// maskSample masks the sample of e: every value of a column classified
// sensitive is withheld from every approver.
// (Approvers differ and a request is stored once, so the sample is masked
// as strictly as any of them could be.)
func (ss *session) maskSample(ctx context.Context, e *approval.Effect, schema, table string) error {
	if len(e.Before) == 0 && len(e.After) == 0 {
		return nil
	}
	cls, _, err := ss.classification(ctx, false)
	if err != nil {
		return err
	}
	if cls == nil || !cls.Any() {
		return nil
	}
	sensitive := map[string]bool{}
	for _, src := range cls.TablesRead([][2]string{{schema, table}}) {
		if src.Class != "" || src.Unknown {
			sensitive[src.Column[strings.LastIndexByte(src.Column, '.')+1:]] = true
		}
	}
	hide := make([]bool, len(e.Columns))
	for i, c := range e.Columns {
		hide[i] = sensitive[strings.ToLower(c)]
	}
	for _, rows := range [][][]*string{e.Before, e.After} {
		for _, row := range rows {
			for i := range row {
				if i < len(hide) && hide[i] && row[i] != nil {
					s := redacted
					row[i] = &s
				}
			}
		}
	}
	return nil
}
