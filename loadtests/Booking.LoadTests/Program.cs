// The launch-day load tool: its scenarios, live view and report are described in the README's
// "Load tests" section as they land. Until then it only checks that its target is loopback.
var target = new Uri(args.Length > 0 ? args[0] : "http://127.0.0.1:5080");
if (!target.IsLoopback)
{
    Console.Error.WriteLine("Load tests only target loopback addresses.");
    return 2;
}
Console.WriteLine($"No scenario yet; target would be {target}.");
return 0;
