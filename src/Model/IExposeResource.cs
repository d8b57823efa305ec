namespace ClusterExpose;

/// <summary>Something ClusterExpose renders into cloud-cluster objects: an exposed host or a TCP forward.</summary>
public interface IExposeResource
{
    string Name { get; }

    string Namespace { get; }

    ExposeFlavor Flavor { get; }
}
