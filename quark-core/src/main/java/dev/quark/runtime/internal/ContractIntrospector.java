package dev.quark.runtime.internal;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.Future;

import dev.quark.actor.Actor;
import dev.quark.actor.Idempotent;
import dev.quark.actor.OneWay;
import dev.quark.actor.ReadOnly;
import dev.quark.actor.WireName;
import dev.quark.runtime.ActorMetrics;
import dev.quark.runtime.MethodDescriptor;
import dev.quark.runtime.MethodDescriptor.CallKind;

/**
 * Finds the contracts of an implementation and turns each contract method into an {@link ActorMethod},
 * rejecting what the runtime cannot dispatch with a message that names the method.
 */
public final class ContractIntrospector {

    private static final Set<String> REACTIVE_TYPES = Set.of("org.reactivestreams.Publisher",
            "kotlinx.coroutines.flow.Flow");

    private static final List<Class<?>> LAZY_TYPES = List.of(Future.class, CompletionStage.class,
            java.util.stream.BaseStream.class, java.util.Iterator.class, java.util.Spliterator.class,
            Flow.Publisher.class);

    private ContractIntrospector() {
    }

    /**
     * Returns the actor contracts an implementation serves: every interface in its hierarchy that extends
     * {@link Actor}, sorted by name.
     * @param implementation the implementation class
     * @return the contracts, possibly empty
     */
    public static List<Class<? extends Actor>> contractsOf(Class<?> implementation) {
        Set<Class<? extends Actor>> contracts = new LinkedHashSet<>();
        Deque<Class<?>> pending = new ArrayDeque<>();
        for (Class<?> type = implementation; type != null && type != Object.class; type = type.getSuperclass()) {
            pending.addAll(List.of(type.getInterfaces()));
        }
        Set<Class<?>> seen = new HashSet<>();
        while (!pending.isEmpty()) {
            Class<?> candidate = pending.pop();
            if (!seen.add(candidate) || candidate == Actor.class) {
                continue;
            }
            if (Actor.class.isAssignableFrom(candidate)) {
                contracts.add(candidate.asSubclass(Actor.class));
            }
            pending.addAll(List.of(candidate.getInterfaces()));
        }
        List<Class<? extends Actor>> sorted = new ArrayList<>(contracts);
        sorted.sort(Comparator.comparing(Class::getName));
        return sorted;
    }

    /**
     * Checks that a class can serve as an actor contract.
     * @param contract the candidate
     * @throws IllegalArgumentException naming the class when it is not an interface extending {@link Actor}
     */
    public static void checkContract(Class<?> contract) {
        if (!contract.isInterface()) {
            throw new IllegalArgumentException(contract.getName()
                    + " is not an interface: an actor contract is an interface that extends " + Actor.class.getName());
        }
        if (!Actor.class.isAssignableFrom(contract) || contract == Actor.class) {
            throw new IllegalArgumentException(
                    contract.getName() + " is not an actor contract: it must extend " + Actor.class.getName());
        }
    }

    /**
     * Returns the name a contract has between silos: its {@link WireName}, otherwise its simple name.
     * @param contract the contract
     * @return the wire name
     * @throws IllegalArgumentException naming the contract when its {@code @WireName} is blank
     */
    public static String wireNameOf(Class<?> contract) {
        WireName alias = contract.getAnnotation(WireName.class);
        if (alias == null) {
            return contract.getSimpleName();
        }
        if (alias.value().isBlank()) {
            throw new IllegalArgumentException("Actor contract " + contract.getName() + " has a blank @"
                    + WireName.class.getSimpleName() + ": give it a name or remove the annotation");
        }
        return alias.value();
    }

    /**
     * Builds the dispatch table of a contract, giving each method its stable id.
     * @param contract the contract
     * @param metrics where the calls of each method are recorded
     * @return every public, non-static method of the contract, including inherited ones
     * @throws IllegalArgumentException naming the first method the runtime cannot dispatch, or both
     * methods when two have the same id
     */
    static Map<Method, ActorMethod> methodsOf(Class<? extends Actor> contract, ActorMetrics metrics) {
        Map<Method, ActorMethod> methods = new HashMap<>();
        Map<Integer, Method> byId = new HashMap<>();
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        for (Method method : contract.getMethods()) {
            if (Modifier.isStatic(method.getModifiers())) {
                continue;
            }
            ReturnKind kind = returnKindOf(method);
            Class<? extends Actor> declaring = Actor.class.isAssignableFrom(method.getDeclaringClass())
                    ? method.getDeclaringClass().asSubclass(Actor.class) : contract;
            MethodDescriptor descriptor = descriptorOf(declaring, method, kind);
            Method clash = byId.putIfAbsent(descriptor.id(), method);
            if (clash != null) {
                throw new IllegalArgumentException("Actor contract methods " + describe(clash) + " and "
                        + describe(method) + " of " + contract.getName() + " have the same method id "
                        + hex(descriptor.id()) + ": give one of them another @" + WireName.class.getSimpleName());
            }
            methods.put(method, new ActorMethod(descriptor, invokerFor(lookup, method), kind,
                    metrics.forMethod(declaring, method.getName()), method.isAnnotationPresent(ReadOnly.class)));
        }
        return methods;
    }

    private static MethodDescriptor descriptorOf(Class<? extends Actor> declaring, Method method, ReturnKind kind) {
        String wireName = wireNameOf(method);
        StringJoiner signature = new StringJoiner(",", wireName + "(", ")");
        for (Class<?> parameter : method.getParameterTypes()) {
            signature.add(parameter.getName());
        }
        CallKind callKind = switch (kind) {
            case SYNCHRONOUS -> CallKind.SYNCHRONOUS;
            case ASYNCHRONOUS -> CallKind.ASYNCHRONOUS;
            case ONE_WAY -> CallKind.ONE_WAY;
        };
        boolean idempotent = method.isAnnotationPresent(Idempotent.class);
        if (idempotent && kind == ReturnKind.ONE_WAY) {
            throw new IllegalArgumentException("Actor contract method " + describe(method) + " is annotated both @"
                    + OneWay.class.getSimpleName() + " and @" + Idempotent.class.getSimpleName()
                    + ": a one-way message is never sent again, remove @" + Idempotent.class.getSimpleName());
        }
        return new MethodDescriptor(declaring, method.getName(), wireName, methodId(signature.toString()),
                List.of(method.getGenericParameterTypes()), resultTypeOf(method, kind), callKind, idempotent);
    }

    private static String wireNameOf(Method method) {
        WireName alias = method.getAnnotation(WireName.class);
        if (alias == null) {
            return method.getName();
        }
        if (alias.value().isBlank()) {
            throw new IllegalArgumentException("Actor contract method " + describe(method) + " has a blank @"
                    + WireName.class.getSimpleName() + ": give it a name or remove the annotation");
        }
        return alias.value();
    }

    /**
     * Returns the id of a method signature ({@code wireName(erased,parameter,types)}): the first four bytes
     * of its SHA-256, the same on every JVM.
     */
    static int methodId(String signature) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(signature.getBytes(StandardCharsets.UTF_8));
            return ((digest[0] & 0xff) << 24) | ((digest[1] & 0xff) << 16) | ((digest[2] & 0xff) << 8)
                    | (digest[3] & 0xff);
        }
        catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException("Every JVM provides SHA-256", ex);
        }
    }

    static String hex(int id) {
        return "0x" + String.format("%08x", id);
    }

    private static Type resultTypeOf(Method method, ReturnKind kind) {
        return switch (kind) {
            case ONE_WAY -> void.class;
            case SYNCHRONOUS -> method.getGenericReturnType();
            case ASYNCHRONOUS -> (method.getGenericReturnType() instanceof ParameterizedType stage)
                    ? stage.getActualTypeArguments()[0] : Object.class;
        };
    }

    private static ReturnKind returnKindOf(Method method) {
        Class<?> returnType = method.getReturnType();
        if (method.isAnnotationPresent(OneWay.class)) {
            if (returnType != void.class) {
                throw new IllegalArgumentException("Actor contract method " + describe(method)
                        + " is annotated @OneWay but returns " + returnType.getName() + ": one-way methods return void");
            }
            return ReturnKind.ONE_WAY;
        }
        if (returnType == CompletableFuture.class || returnType == CompletionStage.class) {
            return ReturnKind.ASYNCHRONOUS;
        }
        for (Class<?> lazy : LAZY_TYPES) {
            if (lazy.isAssignableFrom(returnType)) {
                throw unsupported(method);
            }
        }
        if (isReactive(returnType)) {
            throw unsupported(method);
        }
        return ReturnKind.SYNCHRONOUS;
    }

    private static boolean isReactive(Class<?> type) {
        Deque<Class<?>> pending = new ArrayDeque<>();
        pending.push(type);
        while (!pending.isEmpty()) {
            Class<?> candidate = pending.pop();
            if (REACTIVE_TYPES.contains(candidate.getName())) {
                return true;
            }
            pending.addAll(List.of(candidate.getInterfaces()));
            if (candidate.getSuperclass() != null) {
                pending.push(candidate.getSuperclass());
            }
        }
        return false;
    }

    private static IllegalArgumentException unsupported(Method method) {
        return new IllegalArgumentException("Actor contract method " + describe(method) + " returns "
                + method.getReturnType().getName() + ", which an actor call cannot return: use void, a value, "
                + "CompletableFuture or CompletionStage");
    }

    private static MethodHandle invokerFor(MethodHandles.Lookup lookup, Method method) {
        method.trySetAccessible();
        try {
            MethodHandle handle = lookup.unreflect(method);
            return handle.asType(handle.type().generic()).asSpreader(Object[].class, method.getParameterCount());
        }
        catch (IllegalAccessException ex) {
            throw new IllegalArgumentException("Actor contract method " + describe(method)
                    + " is not accessible to the runtime: make the contract public", ex);
        }
    }

    static String describe(Method method) {
        return method.getDeclaringClass().getName() + "." + method.getName() + "()";
    }
}
