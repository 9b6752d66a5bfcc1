package dev.quark.runtime;

/**
 * Creates the instance behind each activation and disposes of it when the activation ends. The Spring Boot
 * integration creates prototype beans; without Spring, the runtime calls the public no-argument constructor.
 */
public interface ActorInstanceFactory {

    /**
     * Creates a new instance of an actor implementation.
     * @param implementation the {@link dev.quark.actor.QuarkActor} class
     * @return a new instance
     * @throws Exception if the instance cannot be created; the activation fails with it
     */
    Object create(Class<?> implementation) throws Exception;

    /**
     * Disposes of an instance whose activation ended.
     * @param instance the instance
     */
    default void destroy(Object instance) {
    }
}
