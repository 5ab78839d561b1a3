using Booking.Grains.Domain;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Booking.Domain.Tests;

/// <summary>
/// DoseTimeline stores only the days up to the last one touched and grows as later days come: its
/// answers must be those of the whole window, here a plain array of per-day counts.
/// </summary>
public class DoseTimelineProperties
{
    private static readonly DateOnly Origin = T.Day("2027-01-01");

    public sealed record Step(bool Delivery, int Day, int Doses);

    public sealed record Case(Step[] Steps)
    {
        public override string ToString() =>
            string.Join(", ", Steps.Select(s => $"{(s.Delivery ? "deliver" : "book")} {s.Doses:+0;-0;0} on day {s.Day}"));
    }

    /// <summary>Mostly days of the first weeks, where growth starts, and now and then any day of the window.</summary>
    private static readonly Arbitrary<Case> Cases = Gen.Elements(true, false)
        .SelectMany(delivery => Gen.Frequency((6, Gen.Choose(0, 140)), (2, Gen.Choose(120, 300)), (1, Gen.Choose(0, DoseTimeline.WindowDays - 1)))
            .SelectMany(day => Gen.Choose(-3, 6).Select(doses => new Step(delivery, day, doses))))
        .ArrayOf()
        .Select(steps => new Case(steps))
        .ToArbitrary();

    [Property(MaxTest = 300)]
    public Property Answers_are_those_of_the_whole_window() =>
        Prop.ForAll(Cases, c =>
        {
            var timeline = new DoseTimeline(Origin);
            var delivered = new long[DoseTimeline.WindowDays];
            var booked = new long[DoseTimeline.WindowDays];
            foreach (var step in c.Steps)
            {
                if (step.Delivery)
                {
                    timeline.AddDelivered(Origin.AddDays(step.Day), step.Doses);
                    delivered[step.Day] += step.Doses;
                }
                else
                {
                    timeline.AddBooked(Origin.AddDays(step.Day), step.Doses);
                    booked[step.Day] += step.Doses;
                }
            }
            var slack = new long[DoseTimeline.WindowDays];
            long running = 0;
            for (var d = 0; d < slack.Length; d++)
            {
                running += delivered[d] - booked[d];
                slack[d] = running;
            }

            var touched = c.Steps.Select(s => s.Day).DefaultIfEmpty(0).Max();
            Assert.InRange(timeline.StoredDays, Math.Min(touched + 1, DoseTimeline.WindowDays), DoseTimeline.WindowDays);
            var days = c.Steps.SelectMany(s => new[] { s.Day - 1, s.Day, s.Day + 1 })
                .Concat([0, 1, 126, 127, 128, 129, 255, 256, 257, DoseTimeline.WindowDays - 2, DoseTimeline.WindowDays - 1])
                .Where(d => d is >= 0 and < DoseTimeline.WindowDays).Distinct().Order().ToArray();
            foreach (var from in days)
            {
                var day = Origin.AddDays(from);
                Assert.Equal(delivered[from], timeline.DeliveredOn(day));
                Assert.Equal(booked[from], timeline.BookedOn(day));
                Assert.Equal(slack.AsSpan(from).ToArray().Min(), timeline.AvailableFrom(day));
                foreach (var until in days.Where(u => u > from).Take(4).Append(DoseTimeline.WindowDays - 1).Where(u => u > from).Distinct())
                {
                    Assert.Equal(slack[from..until].Min(), timeline.AvailableBetween(day, Origin.AddDays(until)));
                }
            }
            var firstShort = Array.FindIndex(slack, s => s < 0);
            Assert.Equal(firstShort < 0 ? null : Origin.AddDays(firstShort), timeline.FirstShortDay());
        });

    [Fact]
    public void A_new_timeline_keeps_a_few_months_and_grows_by_doubling_up_to_the_window()
    {
        var timeline = new DoseTimeline(Origin);
        Assert.Equal(128, timeline.StoredDays);

        timeline.AddDelivered(Origin.AddDays(100), 5);
        Assert.Equal(128, timeline.StoredDays);
        timeline.AddBooked(Origin.AddDays(130), 2);
        Assert.Equal(256, timeline.StoredDays);
        Assert.Equal(3, timeline.AvailableFrom(Origin.AddDays(100)));
        Assert.Equal(3, timeline.AvailableFrom(Origin.AddDays(1500)));

        timeline.AddDelivered(timeline.End, 1);
        Assert.Equal(DoseTimeline.WindowDays, timeline.StoredDays);
        Assert.Equal(3, timeline.AvailableFrom(Origin.AddDays(100)));
        Assert.Equal(4, timeline.AvailableFrom(timeline.End));
    }
}
