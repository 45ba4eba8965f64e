namespace Weir.Serialization.Tests;

public sealed class SerializerRegistrationTests
{
    private sealed record Registered(int Value);

    private sealed record UsedFirst(int Value);

    private sealed class RegisteredSerializer : ISerializer<Registered>
    {
        public void Write(DataWriter writer, Registered value) => writer.WriteInt32(value.Value * 10);

        public Registered Read(ref DataReader reader) => new(reader.ReadInt32() / 10);
    }

    private sealed class UsedFirstSerializer : ISerializer<UsedFirst>
    {
        public void Write(DataWriter writer, UsedFirst value) => writer.WriteInt32(value.Value);

        public UsedFirst Read(ref DataReader reader) => new(reader.ReadInt32());
    }

    [Fact]
    public void A_serializer_registered_before_first_use_is_the_one_used()
    {
        var serializer = new RegisteredSerializer();
        Serializers.Register(serializer);

        Assert.Same(serializer, Serializers.Get<Registered>());
        Assert.Equal([70, 0, 0, 0], RoundTrip.Write(new Registered(7)));
        Assert.Equal(new Registered(7), RoundTrip.Of(new Registered(7)));
    }

    [Fact]
    public void Registering_after_the_type_was_used_is_refused_naming_the_type()
    {
        Serializers.Get<UsedFirst>();

        var error = Assert.Throws<InvalidOperationException>(() => Serializers.Register(new UsedFirstSerializer()));

        Assert.Contains("The serializer of UsedFirst is already in use", error.Message);
    }

    [Fact]
    public void The_serializer_of_a_type_is_resolved_once()
    {
        Assert.Same(Serializers.Get<Dictionary<string, int>>(), Serializers.Get<Dictionary<string, int>>());
    }
}
