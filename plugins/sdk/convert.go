package sdk

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/commandcenter/commandcenter/plugins/proto"
)

func timeToPB(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func timeFromPB(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime()
}

func moneyToPB(m *Money) *pb.Money {
	if m == nil {
		return nil
	}
	return &pb.Money{Minor: m.Minor, Currency: m.Currency}
}

func moneyFromPB(m *pb.Money) *Money {
	if m == nil {
		return nil
	}
	return &Money{Minor: m.Minor, Currency: m.Currency}
}

func batchToPB(b *Batch) *pb.Batch {
	out := &pb.Batch{
		Cursor:       b.Cursor,
		Events:       make([]*pb.Event, len(b.Events)),
		Entities:     make([]*pb.Entity, len(b.Entities)),
		DailyMetrics: make([]*pb.DailyMetric, len(b.DailyMetrics)),
	}
	for i, e := range b.Events {
		out.Events[i] = &pb.Event{
			Key: e.Key, Tenant: e.Tenant, Kind: e.Kind,
			EntityType: e.Entity.Type, EntityId: e.Entity.ID,
			OccurredAt: timeToPB(e.OccurredAt), Attrs: e.Attrs,
		}
	}
	for i, e := range b.Entities {
		out.Entities[i] = &pb.Entity{
			Tenant: e.Tenant, Type: e.Type, Id: e.ID, Name: e.Name, Status: e.Status,
			StatusSince: timeToPB(e.StatusSince), Campaign: e.Campaign,
			Influencer: e.Influencer, Platform: e.Platform, DueAt: timeToPB(e.DueAt),
			Amount: moneyToPB(e.Amount), Attrs: e.Attrs,
		}
	}
	for i, m := range b.DailyMetrics {
		out.DailyMetrics[i] = &pb.DailyMetric{
			Tenant: m.Tenant, Campaign: m.Campaign, Influencer: m.Influencer, Video: m.Video,
			Platform: m.Platform, Day: m.Day, Impressions: m.Impressions, Views: m.Views,
			Clicks: m.Clicks, Likes: m.Likes, Comments: m.Comments, Shares: m.Shares,
			Cost: moneyToPB(m.Cost), Revenue: moneyToPB(m.Revenue),
		}
	}
	return out
}

func batchFromPB(b *pb.Batch) Batch {
	out := Batch{
		Cursor:       b.GetCursor(),
		Events:       make([]Event, len(b.Events)),
		Entities:     make([]Entity, len(b.Entities)),
		DailyMetrics: make([]DailyMetric, len(b.DailyMetrics)),
	}
	for i, e := range b.Events {
		out.Events[i] = Event{
			Key: e.Key, Tenant: e.Tenant, Kind: e.Kind,
			Entity:     EntityRef{Type: e.EntityType, ID: e.EntityId},
			OccurredAt: timeFromPB(e.OccurredAt), Attrs: e.Attrs,
		}
	}
	for i, e := range b.Entities {
		out.Entities[i] = Entity{
			Tenant: e.Tenant, Type: e.Type, ID: e.Id, Name: e.Name, Status: e.Status,
			StatusSince: timeFromPB(e.StatusSince), Campaign: e.Campaign,
			Influencer: e.Influencer, Platform: e.Platform, DueAt: timeFromPB(e.DueAt),
			Amount: moneyFromPB(e.Amount), Attrs: e.Attrs,
		}
	}
	for i, m := range b.DailyMetrics {
		out.DailyMetrics[i] = DailyMetric{
			Tenant: m.Tenant, Campaign: m.Campaign, Influencer: m.Influencer, Video: m.Video,
			Platform: m.Platform, Day: m.Day, Counts: Counts{Impressions: m.Impressions, Views: m.Views,
				Clicks: m.Clicks, Likes: m.Likes, Comments: m.Comments, Shares: m.Shares},
			Cost: moneyFromPB(m.Cost), Revenue: moneyFromPB(m.Revenue),
		}
	}
	return out
}
