package dev.quark.runtime.internal;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

import dev.quark.runtime.ActorInstanceFactory;

/**
 * Creates actor instances with their no-argument constructor, through a method handle looked up once per
 * class.
 */
public final class ConstructorInstanceFactory implements ActorInstanceFactory {

    private static final ClassValue<MethodHandle> CONSTRUCTORS = new ClassValue<>() {

        @Override
        protected MethodHandle computeValue(Class<?> type) {
            try {
                var constructor = type.getDeclaredConstructor();
                constructor.trySetAccessible();
                return MethodHandles.lookup().unreflectConstructor(constructor)
                        .asType(MethodType.methodType(Object.class));
            }
            catch (NoSuchMethodException | IllegalAccessException ex) {
                throw new IllegalArgumentException("Actor implementation " + type.getName()
                        + " has no accessible no-argument constructor; register it with a factory instead", ex);
            }
        }
    };

    @Override
    public Object create(Class<?> implementation) throws Exception {
        try {
            return (Object) CONSTRUCTORS.get(implementation).invokeExact();
        }
        catch (Exception | Error ex) {
            throw ex;
        }
        catch (Throwable ex) {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * Checks up front that the class can be created.
     * @throws IllegalArgumentException naming the class when it has no usable constructor
     */
    public static void check(Class<?> implementation) {
        CONSTRUCTORS.get(implementation);
    }
}
