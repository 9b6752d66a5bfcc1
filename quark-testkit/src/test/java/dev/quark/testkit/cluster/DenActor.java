package dev.quark.testkit.cluster;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.ActivationException;
import dev.quark.actor.QuarkActor;

@QuarkActor
public class DenActor extends AbstractActor implements Den {

    private final String siloId;

    public DenActor(String siloId) {
        this.siloId = siloId;
    }

    /**
     * Spawns the child and calls it; a child that fails to activate is reported, not thrown: the parent's turn does
     * not fail, so the parent lives on and its supervisor restarts the child after the backoff.
     */
    @Override
    public String spawn(String childId) {
        try {
            return spawnChild(Cub.class, childId).where();
        }
        catch (ActivationException ex) {
            return "not activated: " + ex.getMessage();
        }
    }

    @Override
    public String spawnQuietly(String childId) {
        spawnChild(Cub.class, childId);
        spawnChild(Roamer.class, childId);
        return this.siloId;
    }
}
